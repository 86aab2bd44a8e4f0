import { Type, type Static } from '@sinclair/typebox';

/**
 * The person's own details, named as Parley vendors name them in their request schema. One definition gives
 * the API's validation, its types and its OpenAPI document.
 */
export const PostalAddress = Type.Object(
  {
    street1: Type.String({ minLength: 1, maxLength: 200 }),
    street2: Type.Optional(Type.String({ maxLength: 200 })),
    city: Type.String({ minLength: 1, maxLength: 100 }),
    postCode: Type.String({ minLength: 1, maxLength: 20 }),
    stateOrProvince: Type.Optional(Type.String({ maxLength: 100 })),
    country: Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2, e.g. GB' }),
  },
  { additionalProperties: false },
);
export type PostalAddress = Static<typeof PostalAddress>;

export const Profile = Type.Object(
  {
    givenName: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    familyName: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    email: Type.Optional(
      Type.String({
        pattern: '^[^\\s@]{1,64}@[^\\s@]+\\.[^\\s@]{2,}$',
        maxLength: 254,
        description: 'an e-mail address',
      }),
    ),
    phone: Type.Optional(
      Type.String({
        pattern: '^\\+?[0-9][0-9 ()-]{4,30}$',
        description: 'a phone number, e.g. +44 20 7946 0000',
      }),
    ),
    postalAddress: Type.Optional(PostalAddress),
  },
  { additionalProperties: false },
);
export type Profile = Static<typeof Profile>;

export const PROFILE_FIELDS = ['givenName', 'familyName', 'email', 'phone', 'postalAddress'] as const;
export type ProfileField = (typeof PROFILE_FIELDS)[number];

/** The fields of `profile` a schema asks for, with their values (fields she has not filled in are left out). */
export function fieldsFor(profile: Profile, wanted: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of wanted) {
    const value = (profile as Record<string, unknown>)[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}
