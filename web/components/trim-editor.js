import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../lib/api.js';
import { html } from '../lib/html.js';
import { formatClock, parseTime } from '../lib/time.js';
import { Timeline } from './timeline.js';

const MODE_HINT = {
  accurate: 'Accurate: frame-exact; only the frames around the cuts are re-encoded.',
  copy: 'Copy: no re-encoding, very fast, but cuts on keyframes, so it may start earlier than asked.',
};

/** Last keyframe at or before t (copy mode starts there). @param {number[]} kfs @param {number} t */
export function keyframeAtOrBefore(kfs, t) {
  let best = 0;
  for (const k of kfs) if (k <= t + 1e-6) best = k;
  return best;
}

/** @param {Element | null} el */
function isTextField(el) {
  if (!el) return false;
  const tag = el.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT') return !['button', 'checkbox', 'radio', 'range', 'submit', 'file'].includes(/** @type {HTMLInputElement} */ (el).type);
  return /** @type {HTMLElement} */ (el).isContentEditable;
}

/**
 * The player, the timeline and the fields of a trim. The playhead is the page's own state (the
 * <video> follows it), so frame steps and keyframe jumps are exact however the browser decodes.
 * @param {{ video: import('../lib/types.js').Video, label: string, onClose: () => void, onRecorded: (job: import('../lib/types.js').Job) => void }} props
 */
export function TrimEditor({ video, label, onClose, onRecorded }) {
  const duration = video.durationSec ?? 0;
  const frame = 1 / (video.fps ?? 25);
  const player = useRef(/** @type {HTMLVideoElement | null} */ (null));
  const [playhead, setPlayheadValue] = useState(0);
  // Keys can come faster than renders: handlers read the latest playhead from here.
  const playheadRef = useRef(0);
  const setPlayheadState = (/** @type {number} */ t) => {
    playheadRef.current = t;
    setPlayheadValue(t);
  };
  const [startText, setStartText] = useState(formatClock(0));
  const [endText, setEndText] = useState(formatClock(duration));
  const [mode, setMode] = useState(/** @type {'accurate' | 'copy'} */ ('accurate'));
  const [loop, setLoop] = useState(false);
  const [keyframes, setKeyframes] = useState(/** @type {number[]} */ ([]));
  const [storyboard, setStoryboard] = useState(/** @type {any} */ (null));
  const [message, setMessage] = useState(/** @type {{ kind: 'ok' | 'error', text: string } | null} */ (null));
  const [busy, setBusy] = useState(false);
  const previewEnd = useRef(/** @type {number | null} */ (null));

  useEffect(() => {
    api(`/api/videos/${video.id}/keyframes`).then((k) => setKeyframes(k.keyframes), () => {});
    api(`/api/videos/${video.id}/storyboard`).then(setStoryboard, () => {});
  }, [video.id]);

  const start = parseTime(startText);
  const end = parseTime(endText);
  const fieldError =
    start === undefined ? 'Start is not a time: use seconds (12.5) or HH:MM:SS.mmm.'
    : end === undefined ? 'End is not a time: use seconds (12.5) or HH:MM:SS.mmm.'
    : end <= start ? 'End must come after Start.'
    : end > duration + 1e-3 ? `End is beyond the end of the video (${formatClock(duration)}).`
    : '';
  const effectiveStart = start !== undefined && mode === 'copy' ? keyframeAtOrBefore(keyframes, start) : start;

  const setPlayhead = (/** @type {number} */ t) => {
    const clamped = Math.min(Math.max(0, t), duration);
    setPlayheadState(clamped);
    if (player.current) player.current.currentTime = clamped;
  };
  const togglePlay = () => {
    const p = player.current;
    if (!p) return;
    if (p.paused) p.play().catch(() => {});
    else p.pause();
  };
  const previewSelection = () => {
    if (effectiveStart === undefined || end === undefined || fieldError) return;
    previewEnd.current = end;
    setPlayhead(effectiveStart);
    player.current?.play().catch(() => {});
  };

  // The selected range plays on its own: stop (or loop) at its end.
  const onTimeUpdate = () => {
    const p = player.current;
    if (!p) return;
    setPlayheadState(p.currentTime);
    const stopAt = loop ? end : previewEnd.current;
    if (stopAt !== undefined && stopAt !== null && p.currentTime >= stopAt) {
      if (loop && effectiveStart !== undefined) p.currentTime = effectiveStart;
      else {
        p.pause();
        previewEnd.current = null;
      }
    }
  };

  const nextKeyframe = (/** @type {1 | -1} */ dir) => {
    const eps = frame / 2;
    const at = playheadRef.current;
    const candidates = dir > 0 ? keyframes.filter((k) => k > at + eps) : keyframes.filter((k) => k < at - eps);
    if (candidates.length === 0) return dir > 0 ? duration : 0;
    return dir > 0 ? candidates[0] : candidates[candidates.length - 1];
  };

  useEffect(() => {
    const onKey = (/** @type {KeyboardEvent} */ e) => {
      if (e.ctrlKey || e.metaKey || e.altKey || isTextField(document.activeElement)) return;
      const target = /** @type {HTMLElement | null} */ (e.target);
      const onControl = target?.tagName === 'BUTTON' || target?.tagName === 'VIDEO' || target?.tagName === 'A';
      const role = target?.getAttribute('role');
      if (role === 'slider' && ['ArrowLeft', 'ArrowRight'].includes(e.key)) return; // the handles move themselves
      if (e.key === ' ' && !onControl) {
        e.preventDefault();
        togglePlay();
      } else if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
        e.preventDefault();
        const dir = e.key === 'ArrowRight' ? 1 : -1;
        player.current?.pause();
        setPlayhead(e.shiftKey ? nextKeyframe(dir) : playheadRef.current + dir * frame);
      } else if (e.key === 'i' || e.key === 'I') {
        setStartText(formatClock(playheadRef.current));
      } else if (e.key === 'o' || e.key === 'O') {
        setEndText(formatClock(playheadRef.current));
      } else if (e.key === 'l' || e.key === 'L') {
        setLoop((l) => !l);
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  });

  useEffect(() => {
    if (loop) previewSelection();
  }, [loop]);

  const record = async (/** @type {Event} */ e) => {
    e.preventDefault();
    if (fieldError || start === undefined || end === undefined) return;
    setBusy(true);
    try {
      const job = await api(`/api/videos/${video.id}/trim`, { method: 'POST', body: { start, end, mode } });
      onRecorded(job);
      setMessage({ kind: 'ok', text: `Trim recorded (pending): ${formatClock(start)}–${formatClock(end)}. Press Run in Jobs to make it.` });
    } catch (err) {
      setMessage({ kind: 'error', text: `The trim was refused: ${err.message}` });
    } finally {
      setBusy(false);
    }
  };

  return html`
    <section class="panel editor" aria-labelledby="editor-title">
      <div class="row">
        <h2 id="editor-title">Trim ${label}</h2>
        <button type="button" class="small" onClick=${onClose}>Close editor</button>
      </div>
      <video
        ref=${player}
        src=${`/api/videos/${video.id}/download`}
        preload="auto"
        controls
        playsinline
        aria-label=${`Player: ${label}`}
        onTimeUpdate=${onTimeUpdate}
        onSeeked=${() => player.current && setPlayheadState(player.current.currentTime)}
      ></video>
      <${Timeline}
        duration=${duration}
        playhead=${playhead}
        start=${effectiveStart}
        end=${end}
        keyframes=${keyframes}
        storyboard=${storyboard}
        frame=${frame}
        onSeek=${setPlayhead}
        onStart=${(/** @type {number} */ t) => setStartText(formatClock(t))}
        onEnd=${(/** @type {number} */ t) => setEndText(formatClock(t))}
      />
      <p class="muted playhead" aria-live="off">Playhead ${formatClock(playhead)} · ${keyframes.length} keyframes</p>
      <form class="trim-form" onSubmit=${record}>
        <div class="field">
          <label for="trim-start">Start</label>
          <input id="trim-start" inputmode="decimal" value=${startText} onInput=${(e) => setStartText(e.currentTarget.value)} aria-describedby="time-hint" />
          <button type="button" onClick=${() => setStartText(formatClock(playhead))}>Set start</button>
        </div>
        <div class="field">
          <label for="trim-end">End</label>
          <input id="trim-end" inputmode="decimal" value=${endText} onInput=${(e) => setEndText(e.currentTarget.value)} aria-describedby="time-hint" />
          <button type="button" onClick=${() => setEndText(formatClock(playhead))}>Set end</button>
        </div>
        <div class="field">
          <label for="trim-mode">Mode</label>
          <select id="trim-mode" value=${mode} onChange=${(e) => setMode(e.currentTarget.value)} aria-describedby="mode-hint">
            <option value="accurate">Accurate</option>
            <option value="copy">Copy</option>
          </select>
        </div>
        <p id="mode-hint" class="hint">${MODE_HINT[mode]}</p>
        <p id="time-hint" class="hint">Seconds (12.5) or HH:MM:SS.mmm. Keys: Space play/pause, ←/→ one frame, Shift+←/→ keyframe, I/O set start/end, L loop the selection.</p>
        ${mode === 'copy' && start !== undefined && effectiveStart !== start && html`<p class="hint">Copy starts at the keyframe ${formatClock(effectiveStart ?? 0)}.</p>`}
        ${fieldError && html`<p class="error" role="alert">${fieldError}</p>`}
        <div class="row">
          <button type="button" onClick=${previewSelection} disabled=${Boolean(fieldError)}>Play selection</button>
          <button type="button" aria-pressed=${loop} onClick=${() => setLoop((l) => !l)}>Loop</button>
          <button type="submit" class="primary" disabled=${busy || Boolean(fieldError)}>Add trim</button>
        </div>
        ${message && html`<p class=${message.kind === 'error' ? 'error' : 'ok'} role=${message.kind === 'error' ? 'alert' : 'status'}>${message.text}</p>`}
      </form>
    </section>
  `;
}
