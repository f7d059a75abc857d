// A Standard Webhooks receiver for Latchkey's end-to-end tests. Every delivery is verified
// with the reference `standardwebhooks` library (independent of Latchkey's own signer) and
// kept in memory; the test reads them back from GET /received.
//
//   node receiver.mjs --port 0 --secret whsec_...
// prints exactly one line when ready: `webhook-receiver listening on http://127.0.0.1:PORT`
import http from "node:http";
import { Webhook } from "standardwebhooks";

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const port = Number(arg("port", "0"));
const secret = arg("secret", process.env.WEBHOOK_SECRET);
if (!secret) {
  console.error("--secret (or WEBHOOK_SECRET) is required");
  process.exit(2);
}
const verifier = new Webhook(secret);
const received = [];

const server = http.createServer((req, res) => {
  if (req.method === "GET" && req.url === "/received") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(received));
    return;
  }
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    const headers = {
      "webhook-id": req.headers["webhook-id"],
      "webhook-timestamp": req.headers["webhook-timestamp"],
      "webhook-signature": req.headers["webhook-signature"],
    };
    try {
      const payload = verifier.verify(body, headers);
      received.push({ verified: true, id: headers["webhook-id"], payload });
      res.writeHead(204);
      res.end();
    } catch (e) {
      received.push({ verified: false, id: headers["webhook-id"], error: String(e), body });
      res.writeHead(400);
      res.end();
    }
  });
});

server.listen(port, "127.0.0.1", () => {
  console.log(`webhook-receiver listening on http://127.0.0.1:${server.address().port}`);
});
