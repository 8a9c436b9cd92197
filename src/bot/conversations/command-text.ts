/** Whether a message's text (invisible characters already stripped) is the command `name`, with or without @botname. */
export function isCommand(text: string, name: string): boolean {
  return new RegExp(`^/${name}(@\\w+)?$`, "i").test(text);
}
