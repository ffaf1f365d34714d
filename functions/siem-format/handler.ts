import * as z from 'zod/mini';
import { toOcsf } from '../../lib/domain/notifications/siem-ocsf';
import { toSiemJson } from '../../lib/domain/notifications/siem-json';
import { loadEnv } from '../shared/env';
import { parseEventBridgeBody } from '../shared/eventbridge-record';
import { logger, withPowertools } from '../shared/powertools';

/**
 * EventBridge Pipes enrichment: the pipe's source is an SQS queue that a rule fills with every certwarden
 * event; Pipes invokes this function synchronously with an array of SQS messages (`{messageId, body, …}`, the
 * body the EventBridge event JSON; one message, as an API destination target allows no batching) and passes
 * what it returns to the target (the SIEM's API destination) as the request body: the one record itself, or
 * an empty array, which Pipes takes as "do not call the target". Each event becomes its OCSF 1.3 finding (events
 * with no OCSF form are left out) or the plain SIEM JSON shape, per `CERTWARDEN_SIEM_FORMAT`. A message that is
 * not a certwarden event is logged by its messageId and dropped: it would fail the same way every time.
 */
const env = loadEnv(
  z.object({
    /** `ocsf` (findings in OCSF 1.3) or `json` (the plain SIEM JSON shape), the config's `alerts.siem.format`. */
    CERTWARDEN_SIEM_FORMAT: z.enum(['ocsf', 'json']),
  }),
);

/** One element of what Pipes passes: an SQS message as Lambda's SQS event has it (the fields used here). */
const PipeMessage = z.looseObject({ messageId: z.string(), body: z.string() });

export const handler = withPowertools(async (event: unknown) => {
  if (!Array.isArray(event)) throw new TypeError('expected the array of SQS messages EventBridge Pipes sends');
  const formatted: object[] = [];
  let dropped = 0;
  let withoutOcsf = 0;
  for (const [index, message] of event.entries()) {
    const parsedMessage = PipeMessage.safeParse(message);
    let certwardenEvent;
    try {
      if (!parsedMessage.success) throw new Error('not an SQS message (messageId and body expected)');
      certwardenEvent = parseEventBridgeBody(parsedMessage.data.body);
    } catch (error) {
      dropped++;
      const messageId = parsedMessage.success ? parsedMessage.data.messageId : `#${index}`;
      logger.warn('message dropped', { messageId, reason: (error as Error).message });
      continue;
    }
    if (env.CERTWARDEN_SIEM_FORMAT === 'json') {
      formatted.push(toSiemJson(certwardenEvent));
      continue;
    }
    const ocsf = toOcsf(certwardenEvent);
    if (ocsf) formatted.push(ocsf);
    else withoutOcsf++;
  }
  logger.info('formatted for the SIEM', {
    format: env.CERTWARDEN_SIEM_FORMAT,
    received: event.length,
    formatted: formatted.length,
    withoutOcsf,
    dropped,
  });
  // A target without a batch API receives the response whole: one record is its own body, not a list of one.
  return formatted.length === 1 ? formatted[0] : formatted;
});
