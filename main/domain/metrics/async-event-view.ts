// What a profile reads of its asynchronous events: each one's state, attempts, how it ended, and where its end was
// sent (a destination, a dead-letter target).

export interface AsyncEventView {
  requestId: string;
  /** The task named, as the caller named it (`task` or `task:qualifier`), with its owner's account when not its own. */
  target: string;
  state: "queued" | "running" | "succeeded" | "failed";
  attempts: number;
  maxAttempts: number;
  /** Lambda's destination condition once it ended: Success, RetriesExhausted or EventAgeExceeded. */
  condition?: string;
  createdAt: string;
  updatedAt: string;
  error?: { errorType: string; errorMessage: string };
  /** Made by Hearth for another event: a destination's record or a dead-letter copy. */
  origin?: { kind: "destination" | "dead-letter"; requestId: string };
  delivered?: { kind: "destination" | "dead-letter"; arn: string; requestId?: string; error?: string }[];
}
