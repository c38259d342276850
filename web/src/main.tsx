import '@mantine/core/styles.css';
import '@mantine/charts/styles.css';
import './ui-fixes.css';

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { App } from './app.js';
import { createI18n } from './i18n/i18n.js';

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App i18n={createI18n()} />
    </StrictMode>,
  );
}
