// The event settings a stand-in engine answers the async queue with: Lambda's defaults, no destinations.
import type { EventSettings } from "../../../../main/invoke/engine.ts";

export const DEFAULT_SETTINGS: EventSettings = {
  taskId: "tsk_test",
  ownerProfileId: "prf_owner",
  functionArn: "arn:aws:lambda:local:111122223333:function:t:$LATEST",
  maximumRetryAttempts: 2,
  maximumEventAgeSeconds: 21600,
  onSuccess: null,
  onFailure: null,
  deadLetter: null,
};
