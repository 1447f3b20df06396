import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { connectBridge } from './bridge';
import { installShortcuts } from './keys';
import { installTheme } from './theme';
import './styles.css';

const container = document.getElementById('root');
if (!container) throw new Error('index.html has no #root element');

installTheme();
installShortcuts();
connectBridge(window.api);
createRoot(container).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
