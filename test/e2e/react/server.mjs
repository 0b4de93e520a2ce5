// Server side: the app's HTML (react-dom/server's renderToString).
import { createElement } from "react";
import { renderToString } from "react-dom/server";
import { App } from "./app.mjs";

export const render = () => renderToString(createElement(App));
