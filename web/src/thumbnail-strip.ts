/**
 * The job page's thumbnails (a job made with --thumbnails): the poster, and a strip of every thumbnail cut from
 * its sprite sheet by the job's WebVTT map (the same map a player reads), each titled with its time; a click
 * seeks the page's player there.
 */
import { withToken } from './api.js';
import { h } from './dom.js';
import type { JobDetail } from './types.js';

export interface ThumbnailCue {
  start: number;
  end: number;
  sheet: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A time in the output as a player shows it: 0:05, 1:02:03. */
export function playerTime(t: number): string {
  const s = Math.floor(t + 1e-6);
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return hh ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

const seconds = (t: string) => t.split(':').reduce((a, p) => a * 60 + Number(p), 0);

/** The cues of a thumbnails map: `start --> end` then `sheet#xywh=x,y,w,h`. */
export function parseThumbnailCues(vtt: string): ThumbnailCue[] {
  const re = /^([\d:.]+) --> ([\d:.]+)\r?\n([^#\s]+)#xywh=(\d+),(\d+),(\d+),(\d+)/gm;
  return [...vtt.matchAll(re)].map((m) => ({
    start: seconds(m[1]!),
    end: seconds(m[2]!),
    sheet: m[3]!,
    x: Number(m[4]),
    y: Number(m[5]),
    w: Number(m[6]),
    h: Number(m[7]),
  }));
}

const fileUrl = (id: string, file: string) => withToken(`/api/jobs/${id}/thumbnails/${encodeURIComponent(file)}`);

/** The section, filled once the map is read; none for a job without thumbnails. */
export function thumbnailSection(j: JobDetail, seek: (seconds: number) => void): HTMLElement | null {
  const t = j.thumbnails;
  if (!t) return null;
  const strip = h('div', { class: 'thumb-strip', 'data-role': 'thumb-strip' }, h('p', { class: 'muted' }, 'Loading thumbnails…'));
  const section = h(
    'section',
    { class: 'card thumbs' },
    h('h2', {}, 'Thumbnails'),
    h('img', { class: 'poster', src: fileUrl(j.id, 'poster.jpg'), alt: 'poster', 'data-role': 'poster' }),
    h(
      'p',
      { class: 'muted' },
      `${t.count} thumbnails, one every ${t.everySeconds} s, ${t.width}×${t.height}; hover for the time, click to seek`,
    ),
    strip,
  );
  void fetch(fileUrl(j.id, 'thumbnails.vtt'))
    .then((r) => (r.ok ? r.text() : Promise.reject(new Error(`HTTP ${r.status}`))))
    .then((text) => {
      strip.replaceChildren(
        ...parseThumbnailCues(text).map((c) =>
          h('button', {
            type: 'button',
            class: 'thumb',
            title: playerTime(c.start),
            'data-start': c.start,
            style: `width:${c.w}px;height:${c.h}px;background-image:url("${fileUrl(j.id, c.sheet)}");background-position:-${c.x}px -${c.y}px`,
            onclick: () => seek(c.start),
          }),
        ),
      );
    })
    .catch((err: unknown) => strip.replaceChildren(h('p', { class: 'muted' }, `No thumbnails: ${String(err)}`)));
  return section;
}

const mounted = new WeakMap<HTMLElement, string>();

/** Puts the section after the page's player once the job has thumbnails (once per job and page); a click seeks it. */
export function renderThumbnails(j: JobDetail, playerBox: HTMLElement): void {
  if (!j.thumbnails || mounted.get(playerBox) === j.id) return;
  mounted.set(playerBox, j.id);
  const seek = (t: number) => {
    const video = playerBox.querySelector('video');
    if (video) video.currentTime = t;
  };
  const section = thumbnailSection(j, seek);
  if (section) playerBox.after(section);
}
