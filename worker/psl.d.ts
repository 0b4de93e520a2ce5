/** psl 1.15 ships types its package "exports" do not reach: the part of its API the worker uses. */
declare module "psl" {
  interface ParsedDomain {
    input: string;
    tld: string | null;
    sld: string | null;
    domain: string | null;
    subdomain: string | null;
    listed: boolean;
  }
  interface ParseError {
    input: string;
    error: { code: string; message: string };
  }
  export function parse(input: string): ParsedDomain | ParseError;
}
