// Minimal types for the two CommonJS packages typed-values.ts wraps (neither ships its own).

declare module 'dotenv-parse-variables' {
  export interface ParseVariablesOptions {
    assignToProcessEnv?: boolean;
    overrideProcessEnv?: boolean;
    ignoreFunctions?: boolean;
  }
  export default function parseVariables(
    env: Readonly<Record<string, string>>,
    options?: ParseVariablesOptions,
  ): Record<string, unknown>;
}

declare module 'debug' {
  interface Debug {
    (namespace: string): (...args: unknown[]) => void;
    enabled(namespace: string): boolean;
    disable(): string;
    save(namespaces: string): void;
  }
  const debug: Debug;
  export default debug;
}
