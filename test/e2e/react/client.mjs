// Client side: hydrates the server-rendered root (#__next or #root, whichever the page has).
import { createElement } from "react";
import { hydrateRoot } from "react-dom/client";
import { App } from "./app.mjs";

hydrateRoot(document.getElementById("__next") || document.getElementById("root"), createElement(App));
