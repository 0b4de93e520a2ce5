/**
 * The snippet on the real web: links whose href is set later, sms: links, open shadow roots (also
 * attached later and nested), and a scan that throws (the page gets nothing thrown).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SWAPS_MAX } from "../../snippet/main";
import { alloc, answer, FLOWERS, flush, page, reset, run, stubFetch, UK, UK_T, US, US_T } from "./helpers";

const $ = (sel: string, root: ParentNode = document) => root.querySelector(sel)!;

let warn: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  warn = vi.spyOn(console, "warn").mockImplementation(() => {});
});
afterEach(async () => {
  await flush();
  reset();
});

describe("siblings written with no space between (JSX)", () => {
  it("a number whose next element begins with opening hours, or whose previous one ends with them, is swapped; one the next element's digits continue is not", async () => {
    stubFetch();
    page(
      `<p id="h"><span>Call</span><span>(800) 555-0199</span><span>9am–5pm</span></p>` +
        `<p id="d"><span>(800) 555-0199</span><span>24 hours a day</span></p>` +
        `<p id="l"><b>(800) 555-0199</b><i>0</i></p>` +
        `<p id="b"><span>Mon–Fri 9–5</span><span>(800) 555-0199</span></p>`,
    );
    await run().number();
    expect($("#h").textContent).toBe("Call(800) 555-01239am–5pm");
    expect($("#h").children.length).toBe(3);
    expect($("#h span:nth-child(3)").textContent).toBe("9am–5pm");
    expect($("#d").textContent).toBe("(800) 555-012324 hours a day");
    expect($("#l").textContent).toBe("(800) 555-01990");
    expect($("#b").textContent).toBe("Mon–Fri 9–5(800) 555-0123");
  });
});

describe("links", () => {
  it("swaps sms: links in the first scan, keeping the body", async () => {
    stubFetch();
    page(
      `<a id="s" href="sms:+18005550199">Text us</a><a id="b" href="sms:+1%20800%20555%200199?body=Hi%20there%26more">Text</a><a id="i" href="sms:18005550199&body=Hi">iOS</a><a id="o" href="sms:+12127365000">Other</a>`,
    );
    await run().number();
    expect($("#s").getAttribute("href")).toBe("sms:+18005550123");
    expect($("#b").getAttribute("href")).toBe("sms:+18005550123?body=Hi%20there%26more");
    expect($("#i").getAttribute("href")).toBe("sms:+18005550123&body=Hi");
    expect($("#o").getAttribute("href")).toBe("sms:+12127365000");
  });

  it("keeps a tel: link's extension, in each way dialers take one", async () => {
    stubFetch();
    page(
      `<a id="t" href="tel:+18005550199;ext=12">Call</a><a id="c" href="tel:18005550199,,123">Sales</a><a id="h" href="tel:+1-800-555-0199#204">Desk</a>` +
        `<a id="e" href="tel:+1 (800) 555-0199 ext. 204">Words</a><a id="x" href="tel:+1-800-555-0199x7">x</a><a id="p" href="tel:18005550199p45">p</a>` +
        `<a id="w" href="tel:(800) 555-0199W2">W</a>`,
    );
    await run().number();
    expect($("#t").getAttribute("href")).toBe("tel:+18005550123;ext=12");
    expect($("#c").getAttribute("href")).toBe("tel:+18005550123,,123");
    expect($("#h").getAttribute("href")).toBe("tel:+18005550123#204");
    // A dial string's extension: x, or a pause (p) or wait (w), then digits, any case.
    expect($("#x").getAttribute("href")).toBe("tel:+18005550123x7");
    expect($("#p").getAttribute("href")).toBe("tel:+18005550123p45");
    expect($("#w").getAttribute("href")).toBe("tel:+18005550123W2");
    // Words after the number are no extension a dialer takes: the number alone, never a garbled tail.
    expect($("#e").getAttribute("href")).toBe("tel:+18005550123");
  });

  it("reads a p, w or x before a letter as part of the number as written (1-800-FLOWERS' W)", async () => {
    stubFetch(answer([alloc("web", [US, FLOWERS], US_T)]));
    page(`<a id="v" href="tel:1-800-FLOWERS">Vanity</a><a id="vx" href="tel:1-800-FLOWERSx12">Vanity x</a>`);
    await run().number();
    expect($("#v").getAttribute("href")).toBe("tel:+18005550123");
    expect($("#vx").getAttribute("href")).toBe("tel:+18005550123x12");
  });

  it("says the number a link dials in its title, and leaves another number's and a link's without one alone", async () => {
    stubFetch();
    page(
      `<a id="t" href="tel:+18005550199" title="Call (800) 555-0199 now">&#9742;</a><a id="o" href="tel:+12127365000" title="Call (212) 736-5000">x</a>` +
        `<a id="n" href="tel:+18005550199" title="Call us">x</a><a id="e" href="tel:+18005550199">x</a>`,
    );
    await run().number();
    expect($("#t").getAttribute("title")).toBe("Call (800) 555-0123 now");
    expect($("#o").getAttribute("title")).toBe("Call (212) 736-5000");
    expect($("#n").getAttribute("title")).toBe("Call us");
    expect($("#e").hasAttribute("title")).toBe(false);
    expect($("#e").getAttribute("href")).toBe("tel:+18005550123");
  });

  it("dials the link's own destination's number when its title names another pool's destination", async () => {
    stubFetch(answer([alloc("web", [US], US_T), alloc("uk", [UK], UK_T)]));
    page(`<a id="l" href="tel:+18005550199" title="Or call London on 020 7946 0958">Call</a>`);
    await run().number();
    expect($("#l").getAttribute("href")).toBe("tel:+18005550123");
    expect($("#l").getAttribute("title")).toBe("Or call London on 020 7946 0111");
  });

  it("swaps tel:// and sms:// links", async () => {
    stubFetch();
    page(`<a id="t" href="tel://+18005550199">Call</a><a id="s" href="sms://18005550199">Text</a>`);
    await run().number();
    expect($("#t").getAttribute("href")).toBe("tel:+18005550123");
    expect($("#s").getAttribute("href")).toBe("sms:+18005550123");
  });

  it("swaps an href set or changed after the first scan (tel: and sms:), once", async () => {
    stubFetch();
    page(`<p>Call (800) 555-0199</p><a id="t" href="#">Call</a><a id="s">Text</a>`);
    await run().number();
    const t = $("#t");
    t.setAttribute("href", "tel:+18005550199");
    $("#s").setAttribute("href", "sms:18005550199?body=hello");
    await flush();
    expect(t.getAttribute("href")).toBe("tel:+18005550123");
    expect($("#s").getAttribute("href")).toBe("sms:+18005550123?body=hello");
    // Changed again by the page (a re-render): swapped again.
    t.setAttribute("href", "tel:(800) 555-0199");
    await flush();
    expect(t.getAttribute("href")).toBe("tel:+18005550123");
  });
});

describe("open shadow roots", () => {
  it("finds numbers in open shadow roots present at the first scan, nested ones too", async () => {
    stubFetch();
    page(`<div id="host"></div><div id="closed"></div>`);
    const root = $("#host").attachShadow({ mode: "open" });
    root.innerHTML = `<p id="in">Call (800) 555-0199</p><a id="l" href="tel:+18005550199">Call</a><span id="inner"></span>`;
    const inner = $("#inner", root).attachShadow({ mode: "open" });
    inner.innerHTML = `<b id="deep">800.555.0199</b>`;
    const closed = $("#closed").attachShadow({ mode: "closed" });
    closed.innerHTML = `<p id="c">Call (800) 555-0199</p>`;
    await run().number();
    expect($("#in", root).textContent).toBe("Call (800) 555-0123");
    expect($("#l", root).getAttribute("href")).toBe("tel:+18005550123");
    expect($("#deep", inner).textContent).toBe("800.555.0123");
    // A closed root is not ours to look into.
    expect($("#c", closed).textContent).toBe("Call (800) 555-0199");
  });

  it("swaps text directly inside a shadow root", async () => {
    stubFetch();
    page(`<div id="host"></div>`);
    const root = $("#host").attachShadow({ mode: "open" });
    root.append("Call (800) 555-0199");
    await run().number();
    expect(root.textContent).toBe("Call (800) 555-0123");
  });

  it("finds roots on elements added after the start (nested ones too) and observes them", async () => {
    stubFetch();
    page(`<p>Call (800) 555-0199</p><div id="app"></div>`);
    await run().number();
    // A web component rendered later: its host is created with its root (and a nested one), then added.
    const host = document.createElement("div");
    const root = host.attachShadow({ mode: "open" });
    root.innerHTML = `<p id="late">Call (800) 555-0199</p><span id="inner"></span>`;
    const inner = $("#inner", root).attachShadow({ mode: "open" });
    inner.innerHTML = `<span id="nested">800-555-0199</span>`;
    $("#app").append(host);
    await flush();
    expect($("#late", root).textContent).toBe("Call (800) 555-0123");
    expect($("#nested", inner).textContent).toBe("800-555-0123");
    // Both roots are observed: what changes in them later is swapped.
    ($("#nested", inner).firstChild as Text).data = "or 1-800-555-0199";
    const p = document.createElement("p");
    p.id = "added";
    p.textContent = "Text +1 800 555 0199";
    root.append(p);
    await flush();
    expect($("#nested", inner).textContent).toBe("or 1-800-555-0123");
    expect($("#added", root).textContent).toBe("Text +1 800 555 0123");
  });

  it("observes a root attached later to an element already in the page (open only); stop() puts attachShadow back", async () => {
    stubFetch();
    page(`<p>Call (800) 555-0199</p><div id="open"></div><div id="closed"></div>`);
    const attach = Element.prototype.attachShadow;
    const dni = run();
    await dni.number();
    const root = $("#open").attachShadow({ mode: "open" });
    root.innerHTML = `<p id="n">Call (800) 555-0199</p>`;
    const closed = $("#closed").attachShadow({ mode: "closed" });
    closed.innerHTML = `<p id="c">Call (800) 555-0199</p>`;
    await flush();
    expect($("#n", root).textContent).toBe("Call (800) 555-0123");
    expect($("#c", closed).textContent).toBe("Call (800) 555-0199");
    root.append("or 800.555.0199");
    await flush();
    expect(root.textContent).toBe("Call (800) 555-0123or 800.555.0123");
    dni.stop!();
    expect(Element.prototype.attachShadow).toBe(attach);
  });

  it("leaves a root attached later to a host inside data-dni-ignore or a number not revealed yet, and what goes into it; a reveal swaps it", async () => {
    stubFetch();
    page(`<p>Call (800) 555-0199</p><div data-dni-ignore><div id="ignored"></div></div><button id="r" data-dni-reveal><span id="hidden"></span></button>`);
    await run().number();
    const ignored = $("#ignored").attachShadow({ mode: "open" });
    ignored.innerHTML = `<p id="i">Call (800) 555-0199</p>`;
    const hidden = $("#hidden").attachShadow({ mode: "open" });
    hidden.innerHTML = `<p id="h">Call (800) 555-0199</p>`;
    await flush();
    ignored.append("or 800.555.0199");
    hidden.append("or 800.555.0199");
    await flush();
    expect(ignored.textContent).toBe("Call (800) 555-0199or 800.555.0199");
    expect(hidden.textContent).toBe("Call (800) 555-0199or 800.555.0199");
    // The reveal looks into what it holds, its shadow root too.
    ($("#r") as HTMLElement).click();
    await flush();
    expect(hidden.textContent).toBe("Call (800) 555-0123or 800.555.0123");
    expect(ignored.textContent).toBe("Call (800) 555-0199or 800.555.0199");
  });

  it("leaves what a web component renders under data-dni-ignore: its root attached before it was in the page, a nested one inside it", async () => {
    stubFetch();
    page(`<p>Call (800) 555-0199</p><div id="ignored" data-dni-ignore></div>`);
    await run().number();
    // As a custom element's constructor does: the root first, the element put in the page after.
    const host = document.createElement("div");
    const root = host.attachShadow({ mode: "open" });
    $("#ignored").append(host);
    await flush();
    root.innerHTML = `<p>Call (800) 555-0199</p><span id="inner"></span>`;
    const inner = $("#inner", root).attachShadow({ mode: "open" });
    await flush();
    inner.innerHTML = `<b>800.555.0199</b>`;
    await flush();
    expect(root.textContent).toBe("Call (800) 555-0199");
    expect(inner.textContent).toBe("800.555.0199");
    // Elsewhere the same component is swapped.
    const shown = document.createElement("div");
    const open = shown.attachShadow({ mode: "open" });
    document.body.append(shown);
    open.innerHTML = `<p>Call (800) 555-0199</p>`;
    await flush();
    expect(open.textContent).toBe("Call (800) 555-0123");
  });

  it("stop() leaves attachShadow to a script that wrapped it after the snippet, and observes nothing more", async () => {
    const f = stubFetch();
    page(`<p>Call (800) 555-0199</p><div id="later"></div>`);
    const original = Element.prototype.attachShadow;
    try {
      const dni = run();
      await dni.number();
      const ours = Element.prototype.attachShadow;
      const theirs = function (this: Element, init: ShadowRootInit) {
        return ours.call(this, init);
      };
      Element.prototype.attachShadow = theirs;
      dni.stop!();
      expect(Element.prototype.attachShadow).toBe(theirs);
      // Our wrapper is still in the chain: a root attached now is not observed by the stopped snippet.
      const root = $("#later").attachShadow({ mode: "open" });
      root.innerHTML = `<p id="n">Call (800) 555-0199</p>`;
      await flush();
      expect($("#n", root).textContent).toBe("Call (800) 555-0199");
      expect(f).toHaveBeenCalledTimes(1);
    } finally {
      Element.prototype.attachShadow = original;
    }
  });

  it("asks on a first view where the only number is inside a shadow root", async () => {
    const f = stubFetch();
    page(`<div id="host"></div>`);
    $("#host").attachShadow({ mode: "open" }).innerHTML = `<p>Call (800) 555-0199</p>`;
    await run().number();
    expect(f).toHaveBeenCalledTimes(1);
  });
});

describe("a scan that throws", () => {
  it("throws nothing into the page: the error is a console warning and later scans still run", async () => {
    stubFetch();
    page(`<p id="a">Call (800) 555-0199</p>`);
    const thrown: unknown[] = [];
    const onError = (e: ErrorEvent) => thrown.push(e.error);
    window.addEventListener("error", onError);
    const walker = document.createTreeWalker;
    let fail = true;
    // The DOM misbehaving under the scan (a broken polyfill, a hostile page script).
    vi.spyOn(document, "createTreeWalker").mockImplementation((...a: Parameters<typeof walker>) => {
      if (fail) throw new Error("broken DOM");
      return walker.apply(document, a);
    });
    try {
      const dni = run();
      expect(warn).toHaveBeenCalledWith("dni:", expect.objectContaining({ message: "broken DOM" }));
      fail = false;
      await dni.number();
      // The DOM works again: content added later is found and swapped.
      const p = document.createElement("p");
      p.id = "b";
      p.textContent = "Or 800-555-0199";
      document.body.append(p);
      await flush();
      expect($("#b").textContent).toBe("Or 800-555-0123");
    } finally {
      window.removeEventListener("error", onError);
    }
    expect(thrown).toEqual([]);
  });
});

describe("a page script that writes the original back", () => {
  it("stops trading writes with it after SWAPS_MAX swaps: the page is never frozen, and the page's text wins", async () => {
    stubFetch();
    page(`<p id="x">Call (800) 555-0199</p><p id="y"></p>`);
    const x = $("#x");
    const original = x.textContent;
    let restores = 0;
    // As an A/B testing tool re-applying its variation on every change of its element.
    new MutationObserver(() => {
      if (x.textContent !== original) {
        restores++;
        x.textContent = original;
      }
    }).observe(x, { childList: true, subtree: true, characterData: true });
    await run().number();
    // Without a limit the two observers trade writes in microtasks for ever: this never returns.
    await flush(5);
    expect(restores).toBeGreaterThan(1);
    expect(restores).toBeLessThanOrEqual(SWAPS_MAX);
    expect(x.textContent).toBe(original);
    const settled = restores;
    await flush(5);
    expect(restores).toBe(settled);
    // 20,000 swaps in happy-dom: about 2 s alone, over 5 on a busy two-core machine.
  }, 30_000);
});
