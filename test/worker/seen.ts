/** A request a test's network mock saw (calls-helpers.ts mockNetwork); its own file so Node-side tests can use the fakes. */
export interface Seen {
  url: URL;
  method: string;
  headers: Headers;
  body: string;
}
