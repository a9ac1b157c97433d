// Bundled in place of the `debug` package. Its only user, dotenv-parse-variables, logs each value it
// converts when DEBUG names it; vaultenv switches that off anyway (src/config/typed-values.ts), and
// the real package loads tty, os and supports-color at every start for nothing.
function createDebug() {
  const log = () => {};
  log.enabled = false;
  log.extend = createDebug;
  return log;
}
createDebug.enable = () => {};
createDebug.disable = () => '';
createDebug.enabled = () => false;
createDebug.save = () => {};
module.exports = createDebug;
