-- wrk script: POST docs/examples/soap/portal-GetEService.xml to the peer
-- (or to ME). Run from the repository root:
--   wrk -t2 -c32 -d5s -s cmd/mebench/peer/post.lua http://127.0.0.1:PORT/soap/portal
-- BODY=path overrides the request file; AUTH="user:password" adds HTTP Basic
-- authentication (ME wants it, the peer ignores it).
local file = os.getenv("BODY") or "docs/examples/soap/portal-GetEService.xml"
local f = io.open(file, "rb")
if not f then
  -- run from cmd/mebench/peer
  f = assert(io.open("../../../" .. file, "rb"), "cannot open " .. file)
end
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "text/xml; charset=utf-8"
wrk.headers["SOAPAction"] = '"http://minaengagemang.se/portal/v1/GetEService"'

local auth = os.getenv("AUTH")
if auth then
  local b = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
  local enc = ((auth:gsub(".", function(x)
    local r, byte = "", x:byte()
    for i = 8, 1, -1 do r = r .. (byte % 2 ^ i - byte % 2 ^ (i - 1) > 0 and "1" or "0") end
    return r
  end) .. "0000"):gsub("%d%d%d?%d?%d?%d?", function(x)
    if #x < 6 then return "" end
    local c = 0
    for i = 1, 6 do c = c + (x:sub(i, i) == "1" and 2 ^ (6 - i) or 0) end
    return b:sub(c + 1, c + 1)
  end) .. ({ "", "==", "=" })[#auth % 3 + 1])
  wrk.headers["Authorization"] = "Basic " .. enc
end
-- wrk itself reports "Non-2xx or 3xx responses": a run of faults is no throughput.
