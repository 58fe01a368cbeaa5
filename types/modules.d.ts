// Minimal declarations for untyped dependencies.
declare module 'rdf-canonize' {
  const canonize: {canonize(input: unknown, options: Record<string, unknown>): Promise<string>};
  export default canonize;
}
