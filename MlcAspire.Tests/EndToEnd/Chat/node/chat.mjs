// The OpenAI Node SDK, unchanged, against a router: one greedy chat answered whole and the same one streamed.
// Usage: node chat.mjs BASE_URL MODEL TAG MAX_TOKENS. Prints one JSON line with what the SDK returned.
import OpenAI from 'openai';

const [baseURL, model, tag, maxTokens] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: 'unused', maxRetries: 0 });
const messages = [
  { role: 'system', content: 'Answer briefly.' },
  { role: 'user', content: `${tag} How does the router hand a request from prefill to decode?` },
  { role: 'assistant', content: 'With MicroServing calls.' },
  { role: 'user', content: 'And then?' },
];
const request = { model, messages, temperature: 0, max_tokens: Number(maxTokens) };

const completion = await client.chat.completions.create(request);
const stream = await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
let streamed = '';
let streamedUsage = null;
let role = null;
for await (const chunk of stream) {
  role ??= chunk.choices[0]?.delta?.role ?? null;
  streamed += chunk.choices[0]?.delta?.content ?? '';
  streamedUsage = chunk.usage ?? streamedUsage;
}

let error = null;
try {
  await client.chat.completions.create({ model, messages: [] });
} catch (e) {
  error = { status: e.status, type: e.type ?? null, message: e.message };
}

console.log(JSON.stringify({
  content: completion.choices[0].message.content,
  model: completion.model,
  finishReason: completion.choices[0].finish_reason,
  usage: completion.usage,
  streamed,
  streamedRole: role,
  streamedUsage,
  error,
}));
