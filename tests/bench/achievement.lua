-- achievement.lua: wrk script of tests/bench/achievement.sh: POST {"increment":1} to ACH_PATH as the users
-- whose tokens are the lines of ACH_TOKENS, in turn; with ACH_IDEMPOTENCY=1 each request carries its own
-- Idempotency-Key (unique within the run: ACH_RUN, the thread and a counter).

local threads = 0

function setup(thread)
	thread:set("thread_id", threads)
	threads = threads + 1
end

function init(args)
	tokens = {}
	for line in io.lines(os.getenv("ACH_TOKENS")) do
		tokens[#tokens + 1] = "Bearer " .. line
	end
	path = os.getenv("ACH_PATH")
	idempotent = os.getenv("ACH_IDEMPOTENCY") == "1"
	run = os.getenv("ACH_RUN") or "0"
	counter = thread_id or 0 -- threads start on different users
end

function request()
	counter = counter + 1
	local headers = {
		["Authorization"] = tokens[(counter % #tokens) + 1],
		["Content-Type"] = "application/json",
	}
	if idempotent then
		headers["Idempotency-Key"] = "bench-" .. run .. "-" .. (thread_id or 0) .. "-" .. counter
	end
	return wrk.format("POST", path, headers, '{"increment":1}')
end
