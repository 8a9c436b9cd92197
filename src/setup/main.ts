import { inquirerPrompter } from "./prompter.js";
import { runWizard } from "./wizard.js";

async function main(): Promise<number> {
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    console.error("reply-guy-bot setup asks questions: run `npm run setup` in a terminal.");
    return 1;
  }
  try {
    const result = await runWizard(inquirerPrompter(), { env: process.env });
    return result.problem === undefined ? 0 : 1;
  } catch (error) {
    // Ctrl+C in a prompt: inquirer's ExitPromptError. Nothing has been written then: the file is written last.
    if (error instanceof Error && error.name === "ExitPromptError") {
      console.error("\nSetup stopped; nothing was written.");
      return 130;
    }
    console.error(`reply-guy-bot setup failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

// exit at once: a keep-alive socket of the checks would otherwise hold the process open for seconds.
process.exit(await main());
