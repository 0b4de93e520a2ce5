/** Vite's raw imports, as the worker tests use them (files read at build time: workerd has no fs). */
declare module "*?raw" {
  const text: string;
  export default text;
}

interface ImportMeta {
  glob(pattern: string, options: { query: "?raw"; import: "default"; eager: true }): Record<string, unknown>;
}
