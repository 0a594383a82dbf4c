-- device_login.lua: POST /auth/device with a new random device id per
-- request: every request creates a guest account (201) and issues tokens.
math.randomseed(os.time() + os.clock() * 1e6)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local hex = "0123456789abcdef"
request = function()
  local t = {}
  for i = 1, 32 do
    local k = math.random(16)
    t[i] = hex:sub(k, k)
  end
  return wrk.format(nil, "/auth/device", nil, '{"deviceId":"' .. table.concat(t) .. '"}')
end
