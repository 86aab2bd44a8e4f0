import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { takeToken } from './api';
import { App } from './App';
import '../shared/base.css';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App token={takeToken()} />
  </StrictMode>,
);
