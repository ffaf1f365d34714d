import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

interface ConsumedCapacityLike {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

interface WriteInput {
  Item?: Record<string, unknown>;
  RequestItems?: Record<string, Array<{ PutRequest?: { Item?: Record<string, unknown> } }>>;
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
  /**
   * Items written, by their `type` attribute (`location`, `history`, `scope-note`…; `delete` and `update` for
   * requests that name only a key): tells the writes a change costs from the bookkeeping of a run.
   */
  readonly itemsWritten = new Map<string, number>();

  attach(client: DynamoDBDocumentClient): this {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        const command = context.commandName ?? 'unknown';
        this.record(command, result.output as Record<string, unknown>);
        if (WRITE_COMMANDS.has(command)) this.recordItems(command, args.input as WriteInput);
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

  /** Items written, leaving out the types named. */
  itemsWrittenExcept(...types: string[]): number {
    let total = 0;
    for (const [type, count] of this.itemsWritten) if (!types.includes(type)) total += count;
    return total;
  }

  reset(): void {
    this.requests.clear();
    this.itemsWritten.clear();
    this.readUnits = this.writeUnits = this.itemsRead = this.itemsReturned = 0;
  }

  private recordItems(command: string, input: WriteInput): void {
    const count = (type: unknown) => {
      // Marshalled ({ S: 'location' }) or not, depending on where the document client's marshalling runs.
      const name = String((type as { S?: string } | undefined)?.S ?? type);
      this.itemsWritten.set(name, (this.itemsWritten.get(name) ?? 0) + 1);
    };
    if (command === 'PutItemCommand') count(input.Item?.type);
    else if (command === 'UpdateItemCommand') count('update');
    else if (command === 'DeleteItemCommand') count('delete');
    for (const requests of Object.values(input.RequestItems ?? {})) {
      for (const request of requests) count(request.PutRequest ? request.PutRequest.Item?.type : 'delete');
    }
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
