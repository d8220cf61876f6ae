"""Content lexicons for the training curriculum (never for the dev cases).

Dev cases in data/dev_cases.jsonl are hand-written with other names, places
and phrasings; tests check no dev text appears in generated training data.
"""

PEOPLE = ["Aarav", "Beatriz", "Chidi", "Dmitri", "Elif", "Fatima", "Goran", "Hana", "Ingrid", "Jamal",
          "Kenji", "Leila", "Mateo", "Nadia", "Oskar", "Priyanka", "Quentin", "Rosa", "Soren", "Tamsin",
          "Umar", "Valentina", "Wendell", "Ximena", "Yusuf", "Zofia", "Bruno", "Camille", "Desmond", "Esme",
          "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kirra", "Lorenzo", "Mirela", "Niall", "Odile"]
CITIES = ["Porto", "Tbilisi", "Valencia", "Krakow", "Montreal", "Osaka", "Nairobi", "Ghent", "Bergen",
          "Seville", "Tallinn", "Adelaide", "Cusco", "Hanoi", "Lyon", "Dresden", "Halifax", "Durban",
          "Bologna", "Lagos", "Ljubljana", "Quito", "Perth", "Salzburg", "Aarhus", "Marseille", "Izmir",
          "Pune", "Leeds", "Denver", "Austin", "Kyoto", "Bilbao", "Riga", "Gdansk", "Cork"]
COUNTRIES = ["Portugal", "Georgia", "Chile", "Vietnam", "Norway", "Kenya", "Peru", "Estonia", "Morocco",
             "Iceland", "Croatia", "Malaysia", "Uruguay", "Slovenia", "Jordan", "Ghana"]
FOODS = ["ramen", "falafel", "paella", "dumplings", "pho", "tacos al pastor", "risotto", "kimchi stew",
         "goulash", "ceviche", "pierogi", "shakshuka", "bibimbap", "moussaka", "gnocchi", "laksa",
         "empanadas", "biryani", "poke bowls", "tagine", "croissants", "halloumi", "dal", "udon"]
DRINKS = ["oat-milk lattes", "green tea", "espresso", "kombucha", "sparkling water", "chai", "rooibos",
          "cold brew", "matcha", "hot chocolate", "yerba mate", "ginger beer"]
ALLERGENS = ["peanuts", "shellfish", "gluten", "lactose", "sesame", "tree nuts", "eggs", "soy",
             "penicillin", "strawberries", "kiwi", "mustard"]
JOBS = ["nurse", "data engineer", "architect", "pharmacist", "carpenter", "UX researcher", "paramedic",
        "translator", "civil engineer", "pastry chef", "librarian", "accountant", "physiotherapist",
        "game designer", "electrician", "veterinarian", "journalist", "lab technician", "pilot", "barista"]
COMPANIES = ["Northwind", "Globex", "Initech", "Umbrella Labs", "Vandelay", "Hooli", "Stark Freight",
             "Acme Robotics", "Blue Heron", "Cobalt Systems", "Pinecrest", "Orbital Foods", "Waverly Bank"]
HOBBIES = ["bouldering", "pottery", "birdwatching", "salsa dancing", "woodworking", "chess", "kayaking",
           "knitting", "trail running", "photography", "gardening", "fencing", "sailing", "baking sourdough",
           "playing the cello", "skateboarding", "calligraphy", "archery", "scuba diving", "origami"]
TOOLS = ["Neovim", "Emacs", "PyCharm", "Sublime Text", "Zed", "IntelliJ", "Helix", "Kate"]
LANGS = ["Rust", "Go", "Kotlin", "TypeScript", "Elixir", "Haskell", "Scala", "Julia", "Ruby", "Swift"]
SPOKEN = ["Portuguese", "Korean", "Dutch", "Turkish", "Swahili", "Polish", "Greek", "Hindi", "Italian",
          "Mandarin", "Arabic", "Finnish"]
PETS = ["dog", "cat", "parrot", "rabbit", "hamster", "tortoise", "ferret", "gecko"]
PET_NAMES = ["Biscuit", "Pepper", "Mochi", "Ziggy", "Nugget", "Waffles", "Juniper", "Pickles", "Oreo",
             "Tofu", "Clementine", "Banjo", "Pixel", "Marble", "Sprout"]
RELATIONS = ["sister", "brother", "mom", "dad", "wife", "husband", "partner", "son", "daughter", "cousin",
             "best friend", "manager", "roommate", "grandmother", "uncle", "neighbour"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "April", "June", "July", "August", "September", "October",
          "November", "December"]
TIMES = ["7am", "8:30", "9am", "10:15", "noon", "1pm", "2:30pm", "4pm", "5:45", "6pm", "7:30pm", "9pm"]
APPOINTMENTS = ["dentist appointment", "physio session", "haircut", "vet visit", "eye exam", "team retro",
                "tax meeting", "piano lesson", "parent-teacher meeting", "car service", "therapy session",
                "job interview", "flight to the conference", "yoga class"]
PROJECTS = ["the billing service", "the mobile app", "the data pipeline", "our website", "the thesis",
            "the inventory tool", "the chatbot", "the analytics dashboard", "the API gateway"]
PROBLEMS = ["memory leak", "flaky test", "login timeout", "slow query", "build failure", "race condition",
            "broken deploy", "CORS error", "disk filling up", "high latency"]
FIXES = ["adding an index", "pinning the dependency", "raising the timeout", "restarting the worker",
         "clearing the cache", "rewriting the retry logic", "upgrading the driver", "switching to a queue"]
GOALS = ["run a half marathon", "learn to play the guitar", "read 30 books this year", "get my pilot licence",
         "save for a house deposit", "become fluent in Japanese", "launch my own bakery", "lose ten kilos",
         "finish my PhD", "climb Kilimanjaro", "write a novel", "switch careers into data science",
         "pay off my student loan", "learn to swim", "build a treehouse for my kids"]
VEHICLES = ["a Corolla", "an e-bike", "a Vespa", "a Subaru Outback", "a Tesla Model 3", "a VW camper van",
            "a road bike", "a Mini Cooper"]
SPORTS_TEAMS = ["the Lakers", "Arsenal", "the Yankees", "Benfica", "the All Blacks", "Ajax", "the Celtics"]
GENRES = ["jazz", "synthwave", "bluegrass", "K-pop", "heavy metal", "bossa nova", "techno", "opera",
          "lo-fi hip hop", "folk"]
BOOKS_GENRES = ["sci-fi novels", "historical fiction", "true crime podcasts", "fantasy series", "poetry",
                "graphic novels", "biographies", "cozy mysteries"]
TOPICS = ["quantum computing", "the French revolution", "sourdough starters", "tax brackets", "black holes",
          "SQL joins", "compound interest", "photosynthesis", "the stock market", "Kubernetes"]
SMALLTALK = ["hey there", "hiya", "morning!", "thanks a bunch", "lol that's funny", "ok cool",
             "great, thanks", "haha nice", "cheers mate", "good night!", "talk soon", "nice one",
             "appreciate it", "brilliant", "you're the best", "alright", "yep", "fair enough",
             "makes sense", "good to know", "oh wow", "heh", "sweet", "perfect, ty", "how's it going?",
             "hope you're well", "have a good one", "that's hilarious", "okey dokey", "gotcha"]
