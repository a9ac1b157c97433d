// The bundle's entry point: the only module that touches process globals.
import { guardInspectorSignal } from '../exec/signals.ts';
import { processOutput } from '../log.ts';
import { main } from './main.ts';

guardInspectorSignal();
process.exitCode = await main(process.argv.slice(2), process.env, {
  output: processOutput,
  cwd: process.cwd(),
  onTerminate: (handler) => {
    process.once('SIGTERM', handler);
    process.once('SIGINT', handler);
  },
});
