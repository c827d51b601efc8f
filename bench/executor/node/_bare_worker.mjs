// A bare worker thread for bench.mjs: posts "ready" once started,
// then answers each [a, b] message with a + b (the message floor).
import { parentPort } from "node:worker_threads";

parentPort.on("message", ([a, b]) => parentPort.postMessage(a + b));
parentPort.postMessage("ready");
