import { h } from 'preact';
import htm from 'htm';

/** Tagged templates for Preact: html`<div>…</div>`. */
export const html = htm.bind(h);
