/** stdout carries data only (a table, or JSON); stderr carries messages, each prefixed with the command's name. */
export const out = (text: string): void => void process.stdout.write(text);
export const warn = (text: string): void => void process.stderr.write(`certwarden: ${text}\n`);
