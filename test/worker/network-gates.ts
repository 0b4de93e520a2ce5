/**
 * Opening the window an account object's await allows, at the network edge: the fetch mock
 * (mockNetwork, mockPlatforms) holds a request the worker makes, or first has the test's own
 * request to the worker answered, so that it comes in while the object awaits.
 */
import { vi } from "vitest";

/** The URL a fetch mock was given (a Request made of `input` would take its body). */
const urlOf = (input: RequestInfo | URL) => new URL(input instanceof Request ? input.url : String(input));

/** The network mock installed so far, to pass requests on to. */
function network() {
  const inner = vi.mocked(globalThis.fetch).getMockImplementation();
  if (!inner) throw new Error("mock the network first");
  return inner;
}

/** The worker's requests `match` picks wait until `release()`; `waiting` resolves once the first is made. */
export function holdRequests(match: (url: URL) => boolean) {
  const inner = network();
  let release = () => {};
  let sent = () => {};
  const held = new Promise<void>((r) => (release = r));
  const waiting = new Promise<void>((r) => (sent = r));
  vi.mocked(globalThis.fetch).mockImplementation(async (input, init) => {
    if (match(urlOf(input))) {
      sent();
      await held;
    }
    return inner(input, init);
  });
  return { waiting, release };
}

/**
 * The requests `match` picks go out only once `act` (the test's request to the worker, made once,
 * at the first of them) is answered: `act` comes in while the object awaits them. What `act` gave,
 * once made.
 */
export function duringRequest<T>(match: (url: URL) => boolean, act: () => Promise<T>): { value?: T } {
  const inner = network();
  const made: { value?: T } = {};
  let acting: Promise<unknown> | null = null;
  vi.mocked(globalThis.fetch).mockImplementation(async (input, init) => {
    if (match(urlOf(input))) {
      acting ??= act().then((v) => {
        made.value = v;
      });
      await acting;
    }
    return inner(input, init);
  });
  return made;
}
