// A small server-rendered React app (no JSX: bundled as is by esbuild for React 18 and 19): a
// number in text, one in text among other children, a tel: link whose href is set after hydration
// (`href={ready ? "tel:…" : "#"}`), a counter (state after hydration) and a client-side route.
import { createElement as h, useEffect, useState } from "react";

export function App() {
  const [ready, setReady] = useState(false);
  const [count, setCount] = useState(0);
  const [route, setRoute] = useState("home");
  useEffect(() => setReady(true), []);
  return h(
    "main",
    null,
    h("p", { id: "a" }, "Call (800) 555-0199"),
    h("p", { id: "mixed" }, "Sales: ", "(800) 555-0199", " or write ", h("b", null, "to us")),
    h("a", { id: "tel", href: ready ? "tel:+18005550199" : "#" }, "Call us"),
    h("button", { id: "count", type: "button", onClick: () => setCount(count + 1) }, `Clicked ${count}`),
    h("button", { id: "go", type: "button", onClick: () => setRoute("contact") }, "Contact"),
    route === "contact" ? h("p", { id: "contact" }, "Contact: 800-555-0199") : null,
    h("p", { id: "hydrated" }, ready ? "yes" : "no"),
  );
}
