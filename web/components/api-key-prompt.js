import { useState } from 'preact/hooks';
import { unlock } from '../lib/api.js';
import { html } from '../lib/html.js';

/** Asks for API_KEY once; the key stays in this tab (sessionStorage) and nowhere else. */
export function ApiKeyPrompt({ onUnlocked }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (/** @type {Event} */ e) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      await unlock(key.trim());
      onUnlocked();
    } catch (err) {
      setError(err.status === 401 ? 'That key is not the one the server was started with.' : `Could not check the key: ${err.message}`);
    } finally {
      setBusy(false);
    }
  };
  return html`
    <section class="panel key-prompt" aria-labelledby="key-title">
      <h2 id="key-title">This server needs its API key</h2>
      <form onSubmit=${submit}>
        <label for="api-key">API key</label>
        <input id="api-key" type="password" autocomplete="current-password" value=${key} onInput=${(e) => setKey(e.currentTarget.value)} required />
        <button type="submit" disabled=${busy}>Unlock</button>
      </form>
      <p class="hint">It is kept for this tab only.</p>
      ${error && html`<p class="error" role="alert">${error}</p>`}
    </section>
  `;
}
