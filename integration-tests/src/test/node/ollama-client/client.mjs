// The official Ollama JavaScript library (npm "ollama") pointed at the Gatehouse gateway, as a user would:
// OLLAMA_HOST is the gateway's Ollama endpoint (e.g. http://127.0.0.1:8080/ollama) and the OIDC token goes in
// the client's headers. Run by OllamaJsClientIT: `node client.mjs <step> [model]`; prints one JSON line with
// what the library returned (or the error it raised), which the test asserts.
import { Ollama } from 'ollama';

const [step, model = 'demo-small'] = process.argv.slice(2);
const headers = { Authorization: `Bearer ${process.env.GATEHOUSE_TOKEN}` };
if (process.env.GATEHOUSE_APPROVAL) {
  headers['Gatehouse-Approval'] = process.env.GATEHOUSE_APPROVAL;
}
const ollama = new Ollama({ host: process.env.OLLAMA_HOST, headers });

async function run() {
  switch (step) {
    case 'chat-stream': {
      const parts = [];
      const stream = await ollama.chat({
        model, stream: true,
        messages: [{ role: 'user', content: 'my card is 4111 1111 1111 1111 thanks' }],
      });
      for await (const part of stream) {
        parts.push(part);
      }
      return { content: parts.map((p) => p.message.content).join(''), lines: parts.length, last: parts.at(-1) };
    }
    case 'generate':
      return await ollama.generate({ model, prompt: 'one two three four five six' });
    case 'embed':
      return await ollama.embed({ model, input: ['a', 'b'] });
    case 'list':
      return await ollama.list();
    case 'pull': {
      // The parts the library yielded, and the error it raised after them, if any: a held pull yields the
      // approval (status "pending") as its one part, then the library says the stream did not end in success.
      const parts = [];
      try {
        for await (const part of await ollama.pull({ model, stream: true })) {
          parts.push(part);
        }
        return { parts };
      } catch (e) {
        if (parts.length === 0) {
          throw e;
        }
        return { parts, error: e.message };
      }
    }
    case 'delete':
      return await ollama.delete({ model });
    default:
      throw new Error(`unknown step ${step}`);
  }
}

try {
  console.log(JSON.stringify({ ok: true, result: await run() }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, error: e.message, status: e.status_code ?? null }));
}
