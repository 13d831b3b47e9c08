"""What the user gets: answers built from the ranked sentences, each sentence cited.

    answer.py            the answer chain (a LangChain runnable): choose the quotes, the first
                         citation and whether to abstain; Citation and Answer
    scope.py             which briefings answer, by the time a question names: a period first
                         and the nearest one with something, the newest first, a round
    timeline.py          dated statements on a topic, oldest first, one per story
    generation.py        written answers from a chat model, checked against the sentences
    local_chat_model.py  a GGUF chat model in this process (xllamacpp) as a LangChain model
    background_stream.py a model's stream read in a thread, so every wait is bounded

May import: every other room of retrieval (`ranking`, `index`, `embedding`, `language`) and
`retrieval.types`, `retrieval.errors`. The top room: nothing in retrieval imports it.
"""
