/** The upload form: a video file plus the main encode options, sent as multipart (file last). */
import { api, upload } from './api.js';
import { h } from './dom.js';
import { navigate } from './router.js';
import { TARGET_DEFAULTS, TARGET_METRICS, targetQualityField } from './target-field.js';

function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  return h('label', { class: 'field' }, h('span', {}, label), control, hint ? h('small', {}, hint) : null);
}

function select(name: string, options: string[], value?: string): HTMLSelectElement {
  const s = h('select', { name });
  for (const o of options) s.append(h('option', { value: o, selected: o === value }, o || 'default'));
  return s;
}

function num(name: string, attrs: Record<string, string | number>): HTMLInputElement {
  return h('input', { type: 'number', name, inputmode: 'decimal', ...attrs });
}

/**
 * `targetQuality`: a metric (none, psnr, ssim, vmaf) and its value, which starts at the metric's default. The
 * controls have no `name`: the form sends them as one "metric:value" field. Disabled for an HLS ladder (the API
 * refuses a target on one).
 */
function targetFields(container: HTMLSelectElement): { row: HTMLElement; value: () => string | undefined } {
  const metric = h('select', { 'data-role': 'target-metric' }, h('option', { value: '' }, 'none'));
  for (const m of TARGET_METRICS) metric.append(h('option', { value: m }, m));
  const value = h('input', { type: 'number', 'data-role': 'target-value', inputmode: 'decimal', step: 'any', disabled: true });
  const hint = h('small', {}, 'each segment gets its own CRF');
  const sync = () => {
    const ladder = container.value === 'hls';
    metric.disabled = ladder;
    value.disabled = ladder || metric.value === '';
    hint.textContent = ladder ? 'not for an hls ladder' : 'each segment gets its own CRF';
  };
  metric.addEventListener('change', () => {
    value.value = metric.value ? String(TARGET_DEFAULTS[metric.value as keyof typeof TARGET_DEFAULTS]) : '';
    sync();
  });
  container.addEventListener('change', sync);
  const row = h(
    'div',
    { class: 'field-row' },
    h('label', { class: 'field' }, h('span', {}, 'Quality target'), metric, hint),
    field('Target value', value, 'psnr dB, ssim 0–1, vmaf 0–100'),
  );
  return { row, value: () => targetQualityField(metric.value, value.value, container.value) };
}

/**
 * `template`: the templates the server offers (loaded once); choosing one sets the container to what it makes.
 * The fields left empty take the template's values; those filled in override them.
 */
function templateField(container: HTMLSelectElement): HTMLElement {
  const s = h('select', { name: 'template', 'data-role': 'template' }, h('option', { value: '' }, 'none'));
  const hint = h('small', {}, 'empty fields take its values');
  const outputs = new Map<string, string>();
  api.templates().then(
    (t) => {
      for (const x of t.templates) {
        outputs.set(x.name, x.output);
        s.append(h('option', { value: x.name, title: x.makes }, x.name));
      }
    },
    () => (hint.textContent = 'templates could not be loaded'),
  );
  s.addEventListener('change', () => {
    const out = outputs.get(s.value);
    if (out) {
      container.value = out;
      container.dispatchEvent(new Event('change'));
    }
    hint.textContent = s.selectedOptions[0]?.title || 'empty fields take its values';
  });
  return h('label', { class: 'field' }, h('span', {}, 'Template'), s, hint);
}

export function uploadForm(): HTMLElement {
  const container = select('container', ['mp4', 'mkv', 'webm', 'mov', 'hls'], 'mp4');
  const target = targetFields(container);
  const file = h('input', { type: 'file', name: 'file', accept: 'video/*,.mkv,.ts,.y4m', required: true });
  const status = h('p', { class: 'form-status', role: 'status' });
  const progress = h('progress', { max: 1, value: 0, hidden: true });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Upload and transcode');
  const form = h(
    'form',
    { class: 'upload-form', 'aria-label': 'new job' },
    field('Video file', file),
    h(
      'div',
      { class: 'field-row' },
      templateField(container),
      field('Container', container, 'hls: an HLS/DASH ladder'),
      field('Video codec', select('videoCodec', ['', 'h264', 'hevc', 'vp9', 'av1'])),
      field('CRF', num('crf', { min: 0, max: 63, placeholder: 'default' }), 'lower is better quality'),
      field(
        'Preset',
        select('preset', ['', 'ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow', 'slower', 'veryslow']),
      ),
    ),
    h(
      'div',
      { class: 'field-row' },
      field('Height (px)', num('height', { min: 16, max: 8192, placeholder: 'source' })),
      field('Segment seconds', num('segmentSeconds', { min: 0.5, max: 3600, step: 0.5, placeholder: 'auto' })),
      field('Workers', num('workers', { min: 1, max: 256, placeholder: 'cores' })),
      field('Max attempts', num('maxAttempts', { min: 1, max: 20, placeholder: '3' })),
    ),
    h(
      'div',
      { class: 'field-row' },
      field(
        'Ladder rungs',
        h('input', { type: 'text', name: 'ladder', placeholder: 'source and below', pattern: '[0-9:,kKmM.]*' }),
        'hls: e.g. 720,480:1500k,360',
      ),
      field('Media segment (s)', num('segmentDuration', { min: 1, max: 30, placeholder: '4' }), 'hls'),
      field('DASH too', select('dash', ['', 'true'])),
    ),
    target.row,
    h('div', { class: 'form-actions' }, submit, progress),
    status,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const chosen = file.files?.[0];
    if (!chosen) return;
    const data = new FormData();
    for (const el of Array.from(form.elements)) {
      const input = el as HTMLInputElement | HTMLSelectElement;
      if (!input.name || input.name === 'file' || input.value === '') continue;
      data.append(input.name, input.value);
    }
    const targetQuality = target.value();
    if (targetQuality) data.append('targetQuality', targetQuality);
    data.append('file', chosen, chosen.name);
    submit.disabled = true;
    progress.hidden = false;
    status.textContent = `Uploading ${chosen.name}…`;
    upload(data, (f) => {
      progress.value = f;
    }).then(
      (id) => {
        status.textContent = `Job ${id} created.`;
        navigate(`/jobs/${id}`);
      },
      (err: Error) => {
        status.textContent = `Upload refused: ${err.message}`;
        status.classList.add('error');
        submit.disabled = false;
        progress.hidden = true;
      },
    );
  });
  return form;
}
