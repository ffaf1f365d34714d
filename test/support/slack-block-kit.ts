import type { SlackMessage } from '../../lib/domain/notifications/slack-message';

/**
 * Slack's limits as its pages give them, written here again rather than imported from the renderers' SLACK_LIMITS
 * so that a wrong number there cannot pass: docs.slack.dev/reference/block-kit/blocks/section-block (text 3,000,
 * fields 10 of 2,000), header-block (150), context-block (10 elements), composition-objects/text-object (3,000),
 * 50 blocks a message; the `text` truncated past 40,000 (api.slack.com changelog 2018-04); all the blocks' text
 * together about 12,000 (slackapi/bolt-js #2509, #2867: `msg_blocks_too_long`).
 */
const LIMITS = {
  blocks: 50,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  textObject: 3000,
  messageText: 40_000,
  blocksText: 12_000,
};

/**
 * Everything in a Slack message that breaks Slack's limits (LIMITS), as readable lines naming the block; empty
 * when Slack would take it. Written from the Block Kit reference, not from the renderers: it knows the blocks certwarden uses (header, section, context) and refuses any other. Also holds
 * every mrkdwn text to its escaping (no raw `<` or `>`, every `&` an escape) and every text to whole characters
 * (no lone surrogate: a clip must not cut an emoji in half).
 */
export function slackLimitProblems(message: SlackMessage): string[] {
  const problems: string[] = [];
  let blocksText = 0;
  const checkText = (where: string, object: unknown, max: number, type?: 'plain_text' | 'mrkdwn') => {
    const { type: kind, text } = (object ?? {}) as { type?: unknown; text?: unknown };
    if (kind !== 'plain_text' && kind !== 'mrkdwn') problems.push(`${where}: not a text object`);
    else if (type && kind !== type) problems.push(`${where}: ${type} wanted, got ${kind}`);
    if (typeof text !== 'string') return problems.push(`${where}: no text`);
    blocksText += text.length;
    if (text.length === 0) problems.push(`${where}: empty`);
    if (text.length > max) problems.push(`${where}: ${text.length} characters, at most ${max}`);
    if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text))
      problems.push(`${where}: a lone surrogate (a character cut in half)`);
    if (kind === 'mrkdwn') {
      if (/[<>]/.test(text)) problems.push(`${where}: unescaped < or >`);
      if (/&(?!(amp|lt|gt);)/.test(text)) problems.push(`${where}: an & that is not an escape (one cut in half?)`);
    }
  };

  if (typeof message.text !== 'string' || message.text.length === 0) problems.push('text: empty');
  else if (message.text.length > LIMITS.messageText)
    problems.push(`text: ${message.text.length} characters, at most ${LIMITS.messageText}`);
  if (message.blocks.length > LIMITS.blocks) problems.push(`${message.blocks.length} blocks, at most ${LIMITS.blocks}`);

  message.blocks.forEach((block, index) => {
    const where = `blocks[${index}] (${String(block.type)})`;
    switch (block.type) {
      case 'header':
        checkText(`${where}.text`, block.text, LIMITS.headerText, 'plain_text');
        break;
      case 'section': {
        const fields = block.fields as unknown[] | undefined;
        if (block.text === undefined && fields === undefined) problems.push(`${where}: neither text nor fields`);
        if (block.text !== undefined) checkText(`${where}.text`, block.text, LIMITS.sectionText);
        if (fields !== undefined) {
          if (fields.length === 0 || fields.length > LIMITS.fields)
            problems.push(`${where}: ${fields.length} fields, 1 to ${LIMITS.fields}`);
          fields.forEach((field, i) => checkText(`${where}.fields[${i}]`, field, LIMITS.fieldText));
        }
        break;
      }
      case 'context': {
        const elements = block.elements as unknown[];
        if (elements.length === 0 || elements.length > LIMITS.contextElements)
          problems.push(`${where}: ${elements.length} elements, 1 to ${LIMITS.contextElements}`);
        elements.forEach((element, i) => checkText(`${where}.elements[${i}]`, element, LIMITS.textObject));
        break;
      }
      default:
        problems.push(`${where}: a block type this check does not know`);
    }
  });
  if (blocksText > LIMITS.blocksText)
    problems.push(`the blocks' text: ${blocksText} characters, at most ${LIMITS.blocksText}`);
  return problems;
}
