import { html } from '../lib/html.js';

/** A bar of fixed size (no layout shift as it fills). @param {{ value: number, label: string }} props */
export function ProgressBar({ value, label }) {
  const v = Math.max(0, Math.min(100, Math.round(value)));
  return html`
    <div class="progress" role="progressbar" aria-label=${label} aria-valuemin="0" aria-valuemax="100" aria-valuenow=${v} aria-valuetext=${`${v} %`}>
      <div class="fill" style=${{ transform: `scaleX(${v / 100})` }}></div>
      <span class="pct" aria-hidden="true">${v} %</span>
    </div>
  `;
}
