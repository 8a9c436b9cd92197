import { benchBoot } from "./boot.js";

const benches: Record<string, () => Promise<void>> = { boot: benchBoot };

const only = process.argv.slice(2);
for (const [name, bench] of Object.entries(benches)) {
  if (only.length > 0 && !only.includes(name)) continue;
  console.log(`\n== ${name} ==`);
  await bench();
}
