/** Name stock for synthetic people: common given and family names from several countries. */
export const GIVEN_NAMES = (
  'Emma Louis Jade Gabriel Louise Raphaël Alice Arthur Chloé Jules Lina Adam Mia Hugo Léa Noah Inès ' +
  'Paul Sarah Lucas Olivia Liam Amelia Oliver Isla George Ava Leo Sofia Mateo Lucía Hugo Martina ' +
  'Daniel Julia Pablo Anna Ben Marie Finn Yasmine Karim Nour Omar Aïcha Mehdi Mei Wei Yuki Haruto ' +
  'Priya Arjun Fatima Ibrahim Zoé Ethan Camille Nathan Manon Théo'
).split(' ');

export const FAMILY_NAMES = (
  'Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefebvre ' +
  'Michel Garcia David Bertrand Roux Vincent Fournier Smith Jones Williams Brown Taylor Davies ' +
  'Evans Wilson Johnson Walker Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz ' +
  'Hoffmann Rodríguez González Fernández López Martínez Sánchez Pérez Gómez Rossi Russo Nguyen Tran ' +
  'Wang Li Zhang Kumar Singh Haddad Benali Okafor'
).split(' ');

export const EMAIL_DOMAINS = ['example.com', 'example.net', 'example.org', 'mail.example'];
