/** Which calls a task's callback_url gets: read by the API (validation) and by the webhook senders. */
export type WebhookEvent = 'start' | 'progress' | 'completed';
