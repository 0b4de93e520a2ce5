/** Request body caps, enforced while reading (not only from Content-Length). */
import { bodyLimit } from "hono/body-limit";
import { ApiError } from "../../platform/result";

export const capBody = (maxSize: number) =>
  bodyLimit({
    maxSize,
    onError: () => {
      throw new ApiError({ status: 413, code: "payload_too_large", message: `Request body over ${maxSize} bytes` });
    },
  });
