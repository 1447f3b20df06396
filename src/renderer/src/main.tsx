import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { connectBridge } from './bridge';
import './styles.css';

const container = document.getElementById('root');
if (!container) throw new Error('index.html has no #root element');

connectBridge(window.api);
createRoot(container).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
