"""Calls Runboard's recording proxy with the official Python `openai` client, as an app would:
only base_url and one default header change. Prints what the client saw as one JSON object.

Usage: python openai_client.py <base_url> <runboard_token> <provider_key> <tag>
"""

import json
import sys

from openai import OpenAI

base_url, token, key, tag = sys.argv[1:5]
client = OpenAI(
    base_url=base_url,
    api_key=key,
    default_headers={"X-Runboard-Token": token, "X-Runboard-Tag": tag},
    max_retries=0,
)

seen = {}

chat = client.chat.completions.create(model="py-chat", messages=[{"role": "user", "content": "hi"}])
seen["chat"] = chat.model_dump()

chunks = []
stream = client.chat.completions.create(
    model="py-chat-stream",
    messages=[{"role": "user", "content": "hi"}],
    stream=True,
    stream_options={"include_usage": True},
)
for chunk in stream:
    chunks.append(chunk.model_dump())
seen["chat_stream"] = chunks

resp = client.responses.create(model="py-resp", input="hi")
seen["responses"] = {"model": resp.model, "usage": resp.usage.model_dump(), "output_text": resp.output_text}

events = []
for event in client.responses.create(model="py-resp-stream", input="hi", stream=True):
    events.append(event.type)
    if event.type == "response.completed":
        seen["responses_stream_usage"] = event.response.usage.model_dump()
seen["responses_stream"] = events

emb = client.embeddings.create(model="py-emb", input=["a", "b"])
seen["embeddings"] = {"model": emb.model, "usage": emb.usage.model_dump(), "vectors": [d.embedding for d in emb.data]}

try:
    client.chat.completions.create(model="error-429", messages=[{"role": "user", "content": "hi"}])
    seen["error_429"] = None
except Exception as err:  # the client's RateLimitError carries the upstream's status and body
    seen["error_429"] = {"status": getattr(err, "status_code", None), "body": getattr(err, "body", None)}

print(json.dumps(seen))
