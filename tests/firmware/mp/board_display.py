import boards

b = boards.load()
d = b.display()
d.fill(0)
d.fill_rect(0, 0, 128, 8, 1)
d.text("Hello", 0, 16, 1)
d.show()
b.report(["a", "b"], {"screen": "idle"})
b.beep("err")
