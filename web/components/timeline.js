import { useRef } from 'preact/hooks';
import { html } from '../lib/html.js';
import { formatClock } from '../lib/time.js';

/**
 * Filmstrip (the storyboard's tiles), keyframe ticks, the selection with two handles, the playhead.
 * Clicking the strip moves the playhead; the handles are sliders (drag them, or focus one and use ←/→).
 */
export function Timeline({ duration, playhead, start, end, keyframes, storyboard, frame, onSeek, onStart, onEnd }) {
  const track = useRef(/** @type {HTMLDivElement | null} */ (null));
  const pct = (/** @type {number} */ t) => `${duration > 0 ? (Math.min(Math.max(t, 0), duration) / duration) * 100 : 0}%`;
  const timeAt = (/** @type {PointerEvent} */ e) => {
    const r = track.current?.getBoundingClientRect();
    if (!r || r.width === 0) return 0;
    return Math.min(Math.max((e.clientX - r.left) / r.width, 0), 1) * duration;
  };
  const drag = (/** @type {(t: number) => void} */ set) => (/** @type {PointerEvent} */ e) => {
    e.preventDefault();
    e.stopPropagation();
    const el = /** @type {HTMLElement} */ (e.currentTarget);
    el.setPointerCapture(e.pointerId);
    el.focus();
    const move = (/** @type {PointerEvent} */ m) => set(timeAt(m));
    const up = () => {
      el.removeEventListener('pointermove', move);
      el.removeEventListener('pointerup', up);
    };
    el.addEventListener('pointermove', move);
    el.addEventListener('pointerup', up);
  };
  const sliderKeys = (/** @type {number} */ value, /** @type {(t: number) => void} */ set) => (/** @type {KeyboardEvent} */ e) => {
    if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
    e.preventDefault();
    set(Math.min(Math.max(value + (e.key === 'ArrowRight' ? frame : -frame), 0), duration));
  };
  const s = start ?? 0;
  const en = end ?? duration;
  const tiles = storyboard?.tiles ?? [];

  return html`
    <div class="timeline" role="group" aria-label="Timeline">
      <div class="track" ref=${track} onPointerDown=${(/** @type {PointerEvent} */ e) => onSeek(timeAt(e))}>
        <div class="filmstrip" aria-hidden="true">
          ${tiles.map((tile, i) => html`<div
            key=${i}
            class="tile"
            style=${{
              backgroundImage: `url(${storyboard.imageUrl})`,
              backgroundSize: `${storyboard.columns * 100}% ${storyboard.rows * 100}%`,
              backgroundPosition: `${storyboard.columns > 1 ? ((i % storyboard.columns) / (storyboard.columns - 1)) * 100 : 0}% ${storyboard.rows > 1 ? (Math.floor(i / storyboard.columns) / (storyboard.rows - 1)) * 100 : 0}%`,
            }}
          ></div>`)}
        </div>
        <div class="ticks" aria-hidden="true">
          ${keyframes.map((k) => html`<span key=${k} class="tick" style=${{ left: pct(k) }}></span>`)}
        </div>
        <div class="selection" aria-hidden="true" style=${{ left: pct(s), width: `calc(${pct(en)} - ${pct(s)})` }}></div>
        <div class="playhead-line" aria-hidden="true" style=${{ left: pct(playhead) }}></div>
        <div
          class="handle start" role="slider" tabindex="0" aria-label="Selection start"
          aria-valuemin="0" aria-valuemax=${duration.toFixed(3)} aria-valuenow=${s.toFixed(3)} aria-valuetext=${formatClock(s)}
          style=${{ left: pct(s) }}
          onPointerDown=${drag(onStart)} onKeyDown=${sliderKeys(s, onStart)}
        ></div>
        <div
          class="handle end" role="slider" tabindex="0" aria-label="Selection end"
          aria-valuemin="0" aria-valuemax=${duration.toFixed(3)} aria-valuenow=${en.toFixed(3)} aria-valuetext=${formatClock(en)}
          style=${{ left: pct(en) }}
          onPointerDown=${drag(onEnd)} onKeyDown=${sliderKeys(en, onEnd)}
        ></div>
      </div>
    </div>
  `;
}
