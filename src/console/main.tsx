// The operator's console: built by scripts/build-console.mjs into dist/console and served by
// Baton at /console, with console.css beside it. It talks to the admin API of the server it came from, and nothing else.
import { render } from 'preact';
import { App } from './app.js';

const root = document.getElementById('app');
if (root !== null) render(<App />, root);
