import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

interface ConsumedCapacityLike {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

const WRITE_COMMANDS = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand']);

/**
 * Counts what a client asked DynamoDB for: requests by command, consumed read and write units (when the
 * request asked for ReturnConsumedCapacity) and items read vs returned by queries. The benchmark and the
 * sync report use it to prove "writes only what changed" with numbers.
 */
export class DynamoDbMeter {
  readonly requests = new Map<string, number>();
  readUnits = 0;
  writeUnits = 0;
  itemsRead = 0;
  itemsReturned = 0;

  attach(client: DynamoDBDocumentClient): this {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        this.record(context.commandName ?? 'unknown', result.output as Record<string, unknown>);
        return result;
      },
      { step: 'initialize', name: 'certwardenMeter' },
    );
    return this;
  }

  get writeRequests(): number {
    let total = 0;
    for (const [command, count] of this.requests) if (WRITE_COMMANDS.has(command)) total += count;
    return total;
  }

  reset(): void {
    this.requests.clear();
    this.readUnits = this.writeUnits = this.itemsRead = this.itemsReturned = 0;
  }

  private record(command: string, output: Record<string, unknown>): void {
    this.requests.set(command, (this.requests.get(command) ?? 0) + 1);
    const consumed = output.ConsumedCapacity as ConsumedCapacityLike | ConsumedCapacityLike[] | undefined;
    for (const capacity of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
      if (WRITE_COMMANDS.has(command)) this.writeUnits += capacity.CapacityUnits ?? 0;
      else this.readUnits += capacity.CapacityUnits ?? 0;
    }
    if (typeof output.ScannedCount === 'number') this.itemsRead += output.ScannedCount;
    if (typeof output.Count === 'number') this.itemsReturned += output.Count;
  }
}
