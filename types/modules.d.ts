// Minimal declarations for untyped dependencies.
declare module 'rdf-canonize' {
  const canonize: {canonize(input: unknown, options: Record<string, unknown>): Promise<string>};
  export default canonize;
}
declare module 'punycode.js' {
  const punycode: {decode(input: string): string; encode(input: string): string;
    toASCII(domain: string): string; toUnicode(domain: string): string};
  export default punycode;
}
