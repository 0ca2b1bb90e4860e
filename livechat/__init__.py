"""The room's chat: messages, replies, moderation; later audience questions.

Anyone who may watch a session reads its chat; logged-in participants post.
Messages are plain text; links, mentions and hashtags are found on the server
(``livechat.text``) and sent as tokens, so no client ever renders HTML from a
participant. Everything a room sees travels as room events on the session socket.
"""
