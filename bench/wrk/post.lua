-- post.lua: wrk POSTs a document built from a template, every request unique.
--
--   wrk -t2 -c64 -d10s --latency -s post.lua URL -- TEMPLATE NONCE MACHINES SERVERS EXPECT
--
-- TEMPLATE is a file of one or more variants separated by a line "@@@" ("-"
-- sends an empty body). In a variant, ${id} becomes a document id unique in the
-- run (NONCE, the thread and a counter), ${m} a machine number 0..MACHINES-1
-- (five digits), ${sus} the same number in twelve digits (a SusClientId tail),
-- ${s} the machine's server 0..SERVERS-1 (three digits) and ${s1} the next
-- server. Machines are spread evenly over the servers. Variant 2, if present,
-- is sent for machines with m % 50 == 7 and variant 3 for m % 50 == 9 (a
-- client without the port in WUServer, one with another status server).
--
-- Any answer other than EXPECT (e.g. 201; a replayed document would answer
-- 200) is counted and printed as "unexpected status: N" when wrk ends.

local threads = {}
local next_tid = 0

function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
  table.insert(threads, thread)
end

local variants = {}
local nonce, machines, servers, expect
local n = 0
bad = 0 -- global: done() reads it with thread:get

-- compile splits a variant into literal parts and placeholder names.
local function compile(text)
  local parts, pos = {}, 1
  while true do
    local a, b, key = text:find("%${(%w+)}", pos)
    if not a then
      table.insert(parts, text:sub(pos))
      return parts
    end
    table.insert(parts, text:sub(pos, a - 1))
    table.insert(parts, { key })
    pos = b + 1
  end
end

function init(args)
  local path = args[1] or "-"
  nonce = args[2] or tostring(os.time())
  machines = tonumber(args[3] or "500")
  servers = tonumber(args[4] or "500")
  expect = tonumber(args[5] or "201")
  local text = ""
  if path ~= "-" then
    local f = assert(io.open(path, "rb"))
    text = f:read("*a")
    f:close()
  end
  for v in (text .. "\n@@@\n"):gmatch("(.-)\n@@@\n") do
    table.insert(variants, compile(v))
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

local out = {}

function request()
  n = n + 1
  local m = (n * 7 + tid * 4999) % machines
  local s = math.floor(m * servers / machines)
  local values = {
    id = string.format("%s-%d-%d", nonce, tid, n),
    m = string.format("%05d", m),
    sus = string.format("%012d", m),
    s = string.format("%03d", s),
    s1 = string.format("%03d", (s + 1) % servers),
  }
  local v = variants[1]
  if m % 50 == 7 and variants[2] then
    v = variants[2]
  elseif m % 50 == 9 and variants[3] then
    v = variants[3]
  end
  for i, p in ipairs(v) do
    if type(p) == "table" then
      out[i] = values[p[1]]
    else
      out[i] = p
    end
  end
  for i = #v + 1, #out do
    out[i] = nil
  end
  return wrk.format(nil, nil, nil, table.concat(out))
end

function response(status, headers, body)
  if status ~= expect then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do
    total = total + (t:get("bad") or 0)
  end
  io.write(string.format("unexpected status: %d\n", total))
end
