import { userInfo } from 'node:os';
import { APPROVAL_DENIED_ERROR } from '../../domain/approval';
import { CertwardenError } from '../../domain/errors';
import type { ApprovalRequest } from '../../ports/renewal-ledger';
import { systemClock } from '../../ports/clock';
import { answerApproval } from '../../use-cases/renew';
import { EXIT, type ExitCode } from '../exit-codes';
import { out } from '../output';
import { exitOf, printRenewal, withRenewal, type RenewCommandOptions } from './renew';

export interface ApprovalCommandOptions extends RenewCommandOptions {
  reason: string;
}

/**
 * `certwarden renew approve|deny <request-id> --reason ..`: answers an approval request.
 * - A request the deployed workflow waits on (it holds a task token) is answered to the workflow: SendTaskSuccess
 *   or SendTaskFailure with the caller's identity and the reason, which only the operator role may send; the
 *   workflow records the answer and renews, or closes the request.
 * - A request made by `certwarden renew` (no workflow) is answered here: approved, the renewal runs now with the
 *   source's configured credentials; denied, it is closed. Either way who, when and why go in the renewal ledger.
 * A request past its deadline is refused and recorded as expired (Approval Escalated, Renewal Failed). Exit 0 when
 * answered (and, approved here, renewed), 1 when the renewal failed or the request had expired.
 */
export async function approvalCommand(
  answer: 'approve' | 'deny',
  requestId: string,
  options: ApprovalCommandOptions,
): Promise<ExitCode> {
  const reason = options.reason.trim();
  if (!reason) throw new CertwardenError('--reason must say why (it is kept with the answer)');
  let request: ApprovalRequest | undefined;
  return withRenewal(
    options,
    async (_store, ledger) => {
      request = await ledger.approval(requestId);
      if (!request) throw new CertwardenError(`no approval request ${requestId} (see the Approval Required event)`);
      return request.locationId;
    },
    async ({ context, sent }) => {
      const waiting = request!;
      const expired = systemClock.now().getTime() >= Date.parse(waiting.expiresAt);
      if (waiting.taskToken && waiting.state === 'pending' && !expired) {
        const by = await callerIdentity();
        await answerWorkflow(waiting.taskToken, answer, { by, reason });
        out(
          `${waiting.requestId}: ${answer === 'approve' ? 'approved' : 'denied'} by ${by}; the renewal workflow goes on\n`,
        );
        return EXIT.ok;
      }
      const report = await answerApproval({
        ...context,
        requestId,
        answer,
        by: `cli:${userInfo().username}`,
        reason,
      });
      printRenewal(report, sent, options);
      return exitOf(report);
    },
  );
}

/** Who is answering, as AWS knows them (the caller's ARN), for the record the workflow keeps. */
async function callerIdentity(): Promise<string> {
  const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
  const sts = new STSClient({});
  try {
    return (await sts.send(new GetCallerIdentityCommand({}))).Arn ?? `cli:${userInfo().username}`;
  } finally {
    sts.destroy();
  }
}

/** Resumes the waiting execution: SendTaskSuccess with `{ by, reason }`, or SendTaskFailure with it as the cause. */
async function answerWorkflow(
  taskToken: string,
  answer: 'approve' | 'deny',
  decision: { by: string; reason: string },
): Promise<void> {
  const { SFNClient, SendTaskFailureCommand, SendTaskSuccessCommand } = await import('@aws-sdk/client-sfn');
  const sfn = new SFNClient({});
  try {
    if (answer === 'approve') {
      await sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(decision) }));
    } else {
      await sfn.send(
        new SendTaskFailureCommand({ taskToken, error: APPROVAL_DENIED_ERROR, cause: JSON.stringify(decision) }),
      );
    }
  } catch (error) {
    throw new CertwardenError(`the renewal workflow did not take the answer: ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    sfn.destroy();
  }
}
