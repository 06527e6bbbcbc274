/** The query_task response: the five seed fields always present, then the extensions. */
import type { Progress, TaskRecord } from './types.js';

export interface TaskView {
  status: string;
  result_info: string | null;
  error_info: string | null;
  /** The catalogued code of a Failed task's error (README error table); null otherwise. */
  error_code: string | null;
  started_at: string | null;
  completed_at: string | null;
  ticket_id: string;
  task_type: string;
  user_id: string;
  serv_name: string;
  created_at: string;
  queue_position: number | null;
  progress: ProgressView | null;
  result: Record<string, unknown> | null;
}

/** The progress a client sees: the preview file becomes preview_url (step-stamped, so caches refresh), only while running. */
export function progressView(p: Progress, baseUrl: string, running: boolean): ProgressView {
  const { preview, preview_step: shown, ...rest } = p;
  return preview && running ? { ...rest, preview_url: `${baseUrl}/results/${encodeURIComponent(preview)}?step=${shown ?? p.step}` } : rest;
}

export type ProgressView = Omit<Progress, 'preview' | 'preview_step'> & { preview_url?: string };

export function taskView(rec: TaskRecord, baseUrl: string, queuePosition: number | null, live: Progress | null): TaskView {
  let resultInfo: string | null = null;
  let result: Record<string, unknown> | null = null;
  if (rec.status === 'Completed' && rec.result) {
    resultInfo = `${baseUrl}/results/${encodeURIComponent(rec.result.file)}`;
    const { file: _file, images, ...rest } = rec.result;
    result = { url: resultInfo, ...rest };
    // Several images (batch_size): each with its own URL, in seed order; the first is result_info.
    if (Array.isArray(images)) {
      result.images = images.map((img: { file: string }) => {
        const { file, ...meta } = img;
        return { url: `${baseUrl}/results/${encodeURIComponent(file)}`, ...meta };
      });
    }
  }
  const progress = rec.status === 'In Progress' ? (live ?? rec.progress) : rec.status === 'Completed' ? rec.progress : null;
  return {
    status: rec.status,
    result_info: resultInfo,
    error_info: rec.error_info,
    error_code: rec.error_code,
    started_at: rec.started_at,
    completed_at: rec.completed_at,
    ticket_id: rec.ticket_id,
    task_type: rec.task_type,
    user_id: rec.user_id,
    serv_name: rec.serv_name,
    created_at: rec.created_at,
    queue_position: rec.status === 'Queueing' ? queuePosition : null,
    progress: progress && progressView(progress, baseUrl, rec.status === 'In Progress'),
    result,
  };
}
