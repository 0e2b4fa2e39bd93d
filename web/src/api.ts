/**
 * The HTTP API client. The token (needed when the server is not on loopback) is asked for once and kept in
 * sessionStorage; requests send it as a Bearer header, EventSource and <video> as `?token=`.
 */
import { askForToken } from './token-prompt.js';
import type { JobDetail, JobListItem, TaskRecord, WorkerInfo, TemplateInfo, WatcherInfo } from './types.js';

const TOKEN_KEY = 'shardcast-token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(t: string): void {
  sessionStorage.setItem(TOKEN_KEY, t);
}

/** A same-origin URL carrying the token as a query parameter (for EventSource and media elements). */
export function withToken(path: string): string {
  const t = token();
  if (!t) return path;
  return `${path}${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(t)}`;
}

export function authHeaders(): Record<string, string> {
  const t = token();
  return t ? { authorization: `Bearer ${t}` } : {};
}

async function errorOf(res: Response): Promise<ApiError> {
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { message?: string };
    if (body.message) message = body.message;
  } catch {
    /* not JSON */
  }
  return new ApiError(res.status, message);
}

/** fetch + JSON, asking for the token on 401 and trying once more. */
export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(path, {
      method,
      headers: { ...authHeaders(), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    if (res.status === 401 && attempt < 3) {
      setToken(await askForToken(token() ? 'That token was not accepted.' : undefined));
      continue;
    }
    if (!res.ok) throw await errorOf(res);
    return (await res.json()) as T;
  }
}

export const api = {
  listJobs: () => request<{ jobs: JobListItem[] }>('GET', '/api/jobs').then((r) => r.jobs),
  workers: () => request<{ backend: string; workers: WorkerInfo[] }>('GET', '/api/workers'),
  templates: () => request<{ source: string | null; templates: TemplateInfo[] }>('GET', '/api/templates'),
  watches: () => request<{ watches: WatcherInfo[] }>('GET', '/api/watches'),
  job: (id: string) => request<JobDetail>('GET', `/api/jobs/${encodeURIComponent(id)}`),
  segment: (id: string, kind: string, index: number) =>
    request<TaskRecord>('GET', `/api/jobs/${encodeURIComponent(id)}/segments/${index}?kind=${kind}`),
  action: (id: string, action: 'retry' | 'resume' | 'cancel' | 'quality') =>
    request<JobDetail>('POST', `/api/jobs/${encodeURIComponent(id)}/${action}`),
  remove: (id: string) => request<{ deleted: string }>('DELETE', `/api/jobs/${encodeURIComponent(id)}`),
};

/** Uploads with progress (XMLHttpRequest reports upload progress; fetch does not). Resolves with the job id. */
export function upload(form: FormData, onProgress: (fraction: number) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/jobs');
    for (const [k, v] of Object.entries(authHeaders())) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onerror = () => reject(new ApiError(0, 'the upload failed (connection lost)'));
    xhr.onload = async () => {
      let body: { id?: string; message?: string } = {};
      try {
        body = JSON.parse(xhr.responseText) as typeof body;
      } catch {
        /* not JSON */
      }
      if (xhr.status === 401) {
        setToken(await askForToken(token() ? 'That token was not accepted.' : undefined));
        upload(form, onProgress).then(resolve, reject);
      } else if (xhr.status === 201 && body.id) resolve(body.id);
      else reject(new ApiError(xhr.status, body.message ?? `upload failed (${xhr.status})`));
    };
    xhr.send(form);
  });
}
