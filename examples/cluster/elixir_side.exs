# examples/cluster/elixir_side.exs NODE: the Elixir side of examples/cluster (run it with the same cookie as the
# C++ node): a ping, an echo, a GenServer.call into the C++ server, a link across nodes and its exit signal,
# then :stop. Each step prints one line; a step that fails raises, and elixir exits non-zero.
[node_arg] = System.argv()
cpp = String.to_atom(node_arg)

:pong = Node.ping(cpp)
IO.puts("ping #{cpp}: :pong")

send({:echo, cpp}, {self(), %{from: "Elixir", list: [1, 2.5, :three]}})
receive do
  {:echo, msg} -> IO.puts("echo: #{inspect(msg)} came back")
after
  5000 -> raise "no echo from #{cpp}"
end

:ok = GenServer.call({:kv, cpp}, {:put, :lang, "C++"})
"C++" = GenServer.call({:kv, cpp}, {:get, :lang})
IO.puts(~s|kv: GenServer.call({:kv, cpp}, {:get, :lang}) returned "C++"|)

Process.flag(:trap_exit, true)
send({:echo, cpp}, {:link, self()})
receive do
  :linked -> :ok
after
  5000 -> raise "the echo process did not link"
end
send({:echo, cpp}, {:crash, :boom})
receive do
  {:EXIT, pid, :boom} -> IO.puts("link: {:EXIT, #{inspect(pid)}, :boom} from the C++ process")
after
  5000 -> raise "no exit signal from #{cpp}"
end

send({:cluster, cpp}, :stop)
IO.puts("done")
